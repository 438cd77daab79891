/** `KEY='value'` lines as bash would source them (single quotes, `'\''` for a quote). */
export function parseNodeEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Z][A-Z0-9_]*)='(.*)'$/s.exec(line);
    if (!m) throw new Error(`unexpected node.env line: ${line}`);
    env[m[1] as string] = (m[2] as string).replaceAll("'\\''", "'");
  }
  return env;
}
