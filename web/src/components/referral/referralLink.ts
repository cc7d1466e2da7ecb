/** The share link of a referral code, and reading it back when someone follows one. */

export const REGISTER_PATH = '/register';
const CODE = /^[A-Za-z0-9_-]{1,64}$/;

export function referralLink(code: string): string {
  return `${window.location.origin}${REGISTER_PATH}?ref=${encodeURIComponent(code)}`;
}

/** The `?ref=` code of the current address, if it looks like one. */
export function referralFromUrl(): string | null {
  const code = new URLSearchParams(window.location.search).get('ref');
  return code !== null && CODE.test(code) ? code : null;
}

/** True on /register (a shared link): the sign-up dialog opens by itself. */
export function isRegisterLink(): boolean {
  return window.location.pathname.replace(/\/+$/, '') === REGISTER_PATH;
}
