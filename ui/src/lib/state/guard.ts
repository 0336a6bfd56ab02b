// The one error guard of the window's stores: a backend call whose failure is shown, not
// thrown. Every store reports through it instead of its own try/catch.
import { asIpcError, type IpcError } from '../ipc';

/** Where a store sends an error: the window's banner, a form's own line, … */
export type OnError = (error: IpcError) => void;

/**
 * Runs `work`; a rejection becomes an `IpcError` handed to `onError`. Returns the result, or
 * `undefined` after an error.
 */
export async function guard<T>(work: () => Promise<T>, onError: OnError): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    onError(asIpcError(error));
    return undefined;
  }
}
