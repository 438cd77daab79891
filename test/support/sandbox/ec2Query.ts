/** EC2 query-protocol helpers shared by the fake EC2 endpoint (fakeAws.ts, fakeInterfaces.ts). */

export const xmlEscape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function filtersOf(form: URLSearchParams): [string, string[]][] {
  const filters: [string, string[]][] = [];
  for (let i = 1; form.has(`Filter.${i}.Name`); i++)
    filters.push([form.get(`Filter.${i}.Name`) ?? "", indexed(form, `Filter.${i}.Value`)]);
  return filters;
}

export function tagSet(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `<item><key>${xmlEscape(k)}</key><value>${xmlEscape(v)}</value></item>`)
    .join("");
}

/** `Name.1`, `Name.2`, ... of a query-protocol request. */
export function indexed(form: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; form.has(`${name}.${i}`); i++) out.push(form.get(`${name}.${i}`) ?? "");
  return out;
}
