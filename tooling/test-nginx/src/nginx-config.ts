/**
 * The nginx configuration of the test load balancer: a pure function of its settings, so the file a test runs is
 * the file docs/deployment.md points at as the shape of a production balancer.
 */
export interface NginxConfigOptions {
  /** Upstream API servers as `host:port` (loopback in tests). */
  upstreams: readonly string[];
  /** Loopback port the balancer listens on. */
  port: number;
  /** Folder holding the pid file and the temp folders (nginx's prefix: relative paths resolve against it). */
  dir: string;
  /** Worker processes: a number or `"auto"` (one per core). */
  workerProcesses: number | "auto";
  /** Idle connections to the upstreams kept open per worker. */
  keepalive: number;
  /** Seconds to wait for an upstream's response (headers), and between two reads of its body. */
  readTimeoutSeconds: number;
  /** Path of an access log, or undefined for none (a benchmark does not want the disk writes). */
  accessLog: string | undefined;
  /** `user` and `group` for the worker processes when the master runs as root; undefined otherwise. */
  workerUser: { user: string; group: string } | undefined;
}

/** Path the balancer answers itself (204) without asking an upstream: its own liveness, not the API's. */
export const balancerHealthPath = "/lb-healthz";

const upstreamPattern = /^[A-Za-z0-9.[\]:-]+:\d{1,5}$/;

export function renderNginxConfig(options: NginxConfigOptions): string {
  if (options.upstreams.length === 0) throw new TypeError("at least one upstream is needed");
  for (const upstream of options.upstreams) {
    // The value lands in a config file: nothing but a host and a port may get there.
    if (!upstreamPattern.test(upstream)) throw new TypeError(`not a host:port upstream: ${JSON.stringify(upstream)}`);
  }
  const servers = options.upstreams.map((upstream) => `    server ${upstream} max_fails=2 fail_timeout=5s;`);
  const user = options.workerUser === undefined ? [] : [`user ${options.workerUser.user} ${options.workerUser.group};`];
  return [
    "# Written by @parts/test-nginx (tooling/test-nginx/src/nginx-config.ts).",
    ...user,
    `worker_processes ${options.workerProcesses};`,
    `pid ${options.dir}/nginx.pid;`,
    // Only used where the platform has no atomic operations; kept in the folder all the same.
    `lock_file ${options.dir}/nginx.lock;`,
    "events {",
    "  worker_connections 4096;",
    "}",
    "http {",
    options.accessLog === undefined ? "  access_log off;" : `  access_log ${options.accessLog};`,
    `  client_body_temp_path ${options.dir}/client_body;`,
    `  proxy_temp_path ${options.dir}/proxy;`,
    `  fastcgi_temp_path ${options.dir}/fastcgi;`,
    `  uwsgi_temp_path ${options.dir}/uwsgi;`,
    `  scgi_temp_path ${options.dir}/scgi;`,
    "  server_tokens off;",
    // A replica that refuses connections (max_fails in a row) is left out for fail_timeout, then tried again.
    "  upstream parts_api {",
    ...servers,
    `    keepalive ${options.keepalive};`,
    "  }",
    "  server {",
    `    listen 127.0.0.1:${options.port};`,
    `    location = ${balancerHealthPath} {`,
    "      access_log off;",
    "      return 204;",
    "    }",
    "    location / {",
    "      proxy_pass http://parts_api;",
    // HTTP/1.1 with an empty Connection header: needed for the upstream keepalive pool.
    "      proxy_http_version 1.1;",
    '      proxy_set_header Connection "";',
    // $http_host keeps the port: an upstream that builds URLs from Host (the issuer's discovery) needs it.
    "      proxy_set_header Host $http_host;",
    "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "      proxy_set_header X-Forwarded-Proto $scheme;",
    // Authorization is passed as nginx passes every request header; stated so nobody "adds" it twice.
    "      proxy_pass_request_headers on;",
    // The API answers the whole response at once: buffering adds nothing but temp files on large pages.
    "      proxy_buffering off;",
    "      proxy_connect_timeout 2s;",
    `      proxy_send_timeout ${options.readTimeoutSeconds}s;`,
    `      proxy_read_timeout ${options.readTimeoutSeconds}s;`,
    // On a connection error or a timeout, try the other replica, but never resend a request with a
    // non-idempotent method (POST: every tRPC mutation) once it reached a replica: the replica may have
    // committed it before dying, and a second replica would write it again. `non_idempotent` stays off
    // (nginx's default), said here so nobody adds it. A POST that could not even connect is still
    // passed on: nothing was sent. 503 answers (database down) are passed to the client, not retried.
    "      proxy_next_upstream error timeout;",
    "      proxy_next_upstream_tries 2;",
    `      proxy_next_upstream_timeout ${options.readTimeoutSeconds}s;`,
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}
