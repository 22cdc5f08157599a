/**
 * A Prometheus scrape job for one host: its address and the token file as bearer credentials (the same
 * token as the API; Prometheus reads the file on every scrape, so a new token needs no config change).
 */
export function scrapeConfig(url: string | null, tokenFile: string): string {
  const target = url ? new URL(url).host : '127.0.0.1:4780';
  return [
    'scrape_configs:',
    '  - job_name: agent-hive',
    '    metrics_path: /metrics',
    '    scheme: http',
    '    authorization:',
    '      type: Bearer',
    `      credentials_file: ${JSON.stringify(tokenFile)}`,
    '    static_configs:',
    `      - targets: [${JSON.stringify(target)}]`,
    '',
  ].join('\n');
}
