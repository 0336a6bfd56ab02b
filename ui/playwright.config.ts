import { defineConfig } from '@playwright/test';

// UI pages in the system Chromium over a stubbed IPC layer (tests/pages/stub-backend.ts).
export default defineConfig({
  testDir: 'tests/pages',
  testMatch: '*.spec.ts',
  timeout: 30_000,
  workers: 1,
  reporter: 'list',
  use: {
    baseURL: 'http://127.0.0.1:5174',
    launchOptions: { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    viewport: { width: 1200, height: 760 },
  },
  webServer: {
    command: 'npx vite --port 5174 --strictPort --host 127.0.0.1',
    url: 'http://127.0.0.1:5174/stub.html',
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
