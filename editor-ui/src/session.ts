/** Sent on `window` after signing in again mid-work, so that work waiting for the login goes on. */
export const SIGNED_IN_AGAIN = "callflow:signed-in-again";
