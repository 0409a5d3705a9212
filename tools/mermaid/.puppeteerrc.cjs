// Puppeteer never downloads a browser here: mermaid-cli drives Debian's Chromium (tools/mermaid/render.cjs).
module.exports = { skipDownload: true };
