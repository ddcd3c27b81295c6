function measure(label, fn) {
  globalThis.gc(); const h0 = process.memoryUsage().heapUsed;
  const arr = new Array(200000); let parent = '';
  for (let i = 0; i < arr.length; i++) {
    if (i % 1000 === 0) { parent = ('y' + i).repeat(20000); parent.charCodeAt(5); }
    const src = parent.slice(i % 1000, (i % 1000) + 40); arr[i] = fn(src, i);
  }
  parent = '';
  globalThis.gc(); const h1 = process.memoryUsage().heapUsed;
  console.log(label, ((h1 - h0) / arr.length).toFixed(1), 'bytes/string', typeof arr[5]);
  return arr;
}
measure('sliced-raw', (s) => s);
measure('space-slice', (s) => (' ' + s).slice(1));
measure('join', (s) => ['\u0002', s].join(''));
measure('concat+charCodeAt', (s) => { const t = '\u0002' + s; t.charCodeAt(1); return t; });
measure('concat', (s) => '\u0002' + s);
measure('json', (s) => JSON.parse(JSON.stringify(s)));
measure('obj3', (s) => ({ a: (' ' + s).slice(1), b: '', c: undefined }));
measure('join1', (s) => [s].join(''));
measure('join-empty', (s) => ['', s].join(''));
