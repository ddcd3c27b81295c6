import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { HasadError, type HasadConfig } from '@hasad/core';

/** One message to send. */
export interface OutgoingEmail {
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  /** The event id: it becomes the Message-ID, so a mail client shows a repeat as the same message. */
  eventId: string;
}

export interface Mailer {
  /** Sends one message; resolves with the addresses the server accepted and refused. */
  send(mail: OutgoingEmail): Promise<{ accepted: string[]; rejected: string[] }>;
  close(): void;
}

/** The SMTP server refused or could not be reached; `permanent` when retrying cannot help (5xx, bad login). */
export class SmtpError extends HasadError {
  constructor(message: string, opts: { permanent: boolean; responseCode?: number; smtpCode?: string; cause?: unknown }) {
    super('smtp_error', message, {
      context: { ...(opts.responseCode !== undefined && { responseCode: opts.responseCode }), ...(opts.smtpCode !== undefined && { smtpCode: opts.smtpCode }) },
      permanent: opts.permanent,
      cause: opts.cause,
    });
  }
}

/** Domain of the From address, for the Message-ID. */
function fromDomain(from: string): string {
  const m = /@([^>\s]+)>?\s*$/.exec(from);
  return m?.[1] ?? 'hasad.invalid';
}

/**
 * The SMTP transport described by the configuration, or undefined when none is set (e-mail is
 * then never queued). Each send opens a connection and closes it: notifications are rare, and a
 * pooled connection would only sit idle until the server drops it.
 */
export function createMailer(config: HasadConfig): Mailer | undefined {
  const common = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };
  let options: SMTPTransport.Options;
  if (config.HASAD_SMTP_URL) {
    // nodemailer reads host, port, user, password and smtps:// (TLS at once) from the URL.
    options = { url: config.HASAD_SMTP_URL, ...common };
  } else if (config.HASAD_SMTP_HOST) {
    options = {
      host: config.HASAD_SMTP_HOST,
      port: config.HASAD_SMTP_PORT,
      secure: config.HASAD_SMTP_PORT === 465,
      ...(config.HASAD_SMTP_USER ? { auth: { user: config.HASAD_SMTP_USER, pass: config.HASAD_SMTP_PASS ?? '' } } : {}),
      ...common,
    };
  } else {
    return undefined;
  }
  const transport = nodemailer.createTransport(options);
  const from = config.HASAD_SMTP_FROM;
  return {
    async send(mail) {
      try {
        const info = await transport.sendMail({
          from,
          to: mail.to,
          cc: mail.cc,
          subject: mail.subject,
          text: mail.text,
          messageId: `<${mail.eventId}@${fromDomain(from)}>`,
          // RFC 3834: an automatic message; vacation responders must not answer it.
          headers: { 'Auto-Submitted': 'auto-generated', 'X-Hasad-Event': mail.eventId },
        });
        const addr = (a: string | { address: string }) => (typeof a === 'string' ? a : a.address);
        return { accepted: info.accepted.map(addr), rejected: info.rejected.map(addr) };
      } catch (err) {
        throw toSmtpError(err);
      }
    },
    close() {
      transport.close();
    },
  };
}

/**
 * Sorts nodemailer's errors: an SMTP 5xx answer or a refused login will not change by retrying
 * in the next minutes (a wrong address, a relay refused); 4xx answers, timeouts and lost
 * connections may.
 */
export function toSmtpError(err: unknown): SmtpError {
  const e = err as { message?: string; responseCode?: number; code?: string };
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const permanent = e.code === 'EAUTH' || e.code === 'EENVELOPE' || (responseCode !== undefined && responseCode >= 500);
  return new SmtpError(`SMTP: ${e.message ?? String(err)}`, {
    permanent,
    ...(responseCode !== undefined && { responseCode }),
    ...(e.code !== undefined && { smtpCode: e.code }),
    cause: err,
  });
}
