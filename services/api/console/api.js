// The console's API client: the key lives in this browser's localStorage (a `#key=` link signs in).
const KEY = 'grokcat.apiKey';

export const apiKey = () => localStorage.getItem(KEY);
export const setApiKey = (key) => (key ? localStorage.setItem(KEY, key) : localStorage.removeItem(KEY));

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'HTTP_ERROR';
    this.details = body?.error?.details ?? {};
  }
}

export async function api(path, { method = 'GET', json, form } = {}) {
  const headers = { authorization: `Bearer ${apiKey() ?? ''}` };
  let body;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) body = form;
  const response = await fetch(path, { method, headers, body });
  const payload = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload;
}

/** The loaded model's categories and attribute groups, fetched once. */
let labels;
export async function modelLabels() {
  labels ??= api('/v1/models').then((models) => models.labels);
  return labels;
}
