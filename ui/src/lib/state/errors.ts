// Words for a person for each error the backend reports.
import type { IpcError } from '../ipc';

export function setupMessage(error: IpcError): string {
  switch (error.code) {
    case 'authentication':
      return `The server refused the user name or password. (${error.message})`;
    case 'tls':
      return `A secure connection could not be made: the server's certificate is not trusted or TLS failed. (${error.message})`;
    case 'network':
      return `The server could not be reached: check the server name, port and your network. (${error.message})`;
    case 'policy':
      return error.message;
    case 'keyring_unavailable':
      return `No system keyring is available to keep your password safely, so the account was not added. Install or unlock a keyring (for example GNOME Keyring) and try again. (${error.message})`;
    default:
      return error.message;
  }
}
