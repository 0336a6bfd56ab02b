import { mark } from './lib/state/marks';
mark('script');
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { applyDesktopFont } from './lib/state/desktop_font';

applyDesktopFont((window as { __TERN_DESKTOP_FONT__?: unknown }).__TERN_DESKTOP_FONT__);

const target = document.getElementById('app');
if (!target) throw new Error('no #app element');
export default mount(App, { target });
