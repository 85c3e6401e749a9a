/**
 * The device class of a user agent: one rule, shared by the page that measures (it records the
 * class) and the verifier (it checks the recorded class against the user agent).
 */

/** Device classes the "Devices" table and chart group by. */
export const DEVICE_CLASSES = ["desktop", "mobile"] as const;

/** "mobile" when the user agent names a phone or tablet (Mobi, Android, iPhone, iPad). */
export function deviceClassOf(userAgent: string): typeof DEVICE_CLASSES[number] {
  return /Mobi|Android|iPhone|iPad/.test(userAgent) ? "mobile" : "desktop";
}
