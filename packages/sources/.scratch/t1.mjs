import { StreamParser } from 'n3';
import { RdfXmlParser } from 'rdfxml-streaming-parser';
import { JsonLdParser } from 'jsonld-streaming-parser';
import fs from 'node:fs';
const C='/work/shared/conformance/ckanext-dcat/harvester-fixtures/';
function run(p, file){ return new Promise((res)=>{ const s=fs.createReadStream(file,{encoding:'utf8'}); let n=0; p.on('data',()=>n++); p.on('error',e=>{console.log(file, 'ERR', e.constructor.name, e.message, e.context && JSON.stringify({line:e.context.line, token: e.context.token?.type})); res();}); p.on('end',()=>{console.log(file,'ok',n);res();}); s.pipe(p); }); }
await run(new StreamParser({baseIRI:'http://x/'}), C+'invalid.ttl');
await run(new RdfXmlParser({baseIRI:'http://x/', trackPosition:true}), C+'invalid.rdf');
await run(new RdfXmlParser({baseIRI:'http://x/'}), C+'invalid.rdf');
await run(new JsonLdParser({baseIRI:'http://x/', documentLoader:{load: async (u)=>{throw new Error('no remote '+u)}}}), '/work/shared/conformance/ckanext-dcat/examples-dcat/catalog_pod.jsonld');
await run(new JsonLdParser({baseIRI:'http://x/'}), '/work/shared/conformance/w3c-dcat3-examples/basic-example.jsonld');
