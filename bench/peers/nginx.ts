/**
 * nginx as the floor for any proxy: `proxy_pass` with an upstream keep-alive pool and `proxy_buffering off` so
 * SSE streams through chunk by chunk. One worker process (the proxy gets one CPU like the others), no access
 * log (Node proxies under test log nothing per request either at the levels used).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** Path of the nginx binary, or null (with the reason) when it is not installed. */
export function findNginx(): { bin: string } | { skip: string } {
  for (const bin of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) {
    try {
      execFileSync(bin, ['-v'], { stdio: 'ignore' });
      return { bin };
    } catch {
      /* try the next location */
    }
  }
  return { skip: 'nginx not installed (apt-get install -y nginx-light)' };
}

/** Writes the config for one run into `dir` and returns its path; nginx listens on `port`. */
export function writeNginxConfig(dir: string, port: number, upstreamPort: number): string {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const conf = `
worker_processes 1;
daemon off;
master_process on;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'logs', 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'tmp-body')};
  proxy_temp_path ${join(dir, 'tmp-proxy')};
  fastcgi_temp_path ${join(dir, 'tmp-fastcgi')};
  uwsgi_temp_path ${join(dir, 'tmp-uwsgi')};
  scgi_temp_path ${join(dir, 'tmp-scgi')};
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  upstream llm { server 127.0.0.1:${upstreamPort}; keepalive 256; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://llm;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  return file;
}
