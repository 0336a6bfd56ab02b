// Entry of stub.html: installs the fake backend (options from window.ternStub, set by the
// test before the page loads), then starts the real UI.
import { installStub } from './stub-backend';

installStub({
  account: true,
  inbox: 100_000,
  connectivity: 'live',
  pending: 0,
  hostile: false,
  damaged: false,
  remoteImage: null,
  remoteAllowed: false,
  second: false,
  ...window.ternStub,
});
await import('../../src/main');
