/**
 * What a page did wrong while a browser check drove it: console errors, uncaught page errors and
 * failed requests, collected in one list that the check asserts empty. A request cut short by the
 * next navigation (net::ERR_ABORTED, e.g. the favicon of a page left at once) is not a failure; a
 * missing file is (net::ERR_FILE_NOT_FOUND).
 */
import type { Page } from "playwright-core";

/** Starts collecting `page`'s errors into the returned list. */
export function watchPage(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => {
    if (r.failure()?.errorText === "net::ERR_ABORTED") return;
    errors.push(`failed request: ${r.url()} (${r.failure()?.errorText})`);
  });
  return errors;
}
