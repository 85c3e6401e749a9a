/**
 * Reading the site's binary files in the browser, the same way from any static host and from
 * disk. Over http(s) a file is fetched as it is. Pages opened from file:// cannot fetch (the
 * browser blocks it), so the build writes every such file a second time as a classic script,
 * `FILE.js`, that hands its bytes over as base64 (`bibenchFiles[path]`, see
 * site/lib/published.ts); scripts from the site are what the CSP allows.
 */

/** Where the script copies put their bytes: site-relative path -> base64. */
type FileTable = Record<string, string>;

function table(): FileTable {
  const g = globalThis as unknown as { bibenchFiles?: FileTable };
  return (g.bibenchFiles ??= {});
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function viaScript(url: string, key: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = `${url}.js`;
    s.onload = () => {
      s.remove();
      const b64 = table()[key];
      delete table()[key];
      if (b64 === undefined) reject(new Error(`${url}.js did not hold ${key}`));
      else resolve(fromBase64(b64));
    };
    s.onerror = () => {
      s.remove();
      reject(new Error(`could not load ${url}`));
    };
    document.head.appendChild(s);
  });
}

/**
 * The bytes of `path` (relative to the site root; `root` is the way from this page to it, as in
 * `<body data-root>`).
 */
export async function loadBytes(root: string, path: string): Promise<Uint8Array> {
  const url = root + path;
  if (location.protocol === "file:") return await viaScript(url, path);
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not load ${url} (HTTP ${r.status})`);
  return new Uint8Array(await r.arrayBuffer());
}
