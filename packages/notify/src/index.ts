/**
 * @hasad/notify: tells an institution and the operators when a source keeps failing, when a run
 * waits for review and when a failing source works again (and the operators when a source waits
 * for their approval), by e-mail (nodemailer, SMTP) and by
 * signed webhook (the project's HTTP client). Deciding and queuing is `notifyRunEnded` in
 * @hasad/pipeline; sending is the loader's `notify.send` processor, which calls this package.
 */
export * from './event.ts';
export * from './message.ts';
export * from './webhook.ts';
export * from './mail.ts';
export * from './deliver.ts';
export * from './contacts.ts';
export * from './test-notification.ts';
export * from './review.ts';
