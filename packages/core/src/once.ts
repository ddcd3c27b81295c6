/** `f`, run on the first call only: a release or a close that several paths may call. */
export function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}
