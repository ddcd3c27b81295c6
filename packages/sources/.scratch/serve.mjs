import http from 'node:http'; import fs from 'node:fs';
const s = http.createServer((req, res) => { res.writeHead(200, {'content-type': 'text/turtle'}); fs.createReadStream(process.argv[2]).pipe(res); });
s.listen(Number(process.argv[3]), '127.0.0.1', () => console.log('listening'));
