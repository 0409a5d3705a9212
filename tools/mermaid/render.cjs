// Draws every ```mermaid block of a Markdown file with mermaid-cli (from npm, pinned in package-lock.json)
// in Debian's Chromium (/usr/bin/chromium, or $CHROMIUM): puppeteer's own browser download is never used.
// Usage: node tools/mermaid/render.cjs FILE.md
//   → one line per block, "LINE: WIDTHxHEIGHT" (LINE: the block's opening fence, 1-based; the size in
//     CSS pixels from the SVG's viewBox); a block that does not parse prints "LINE: error MESSAGE".
//   Exit 0 when every block drew, 1 when one did not, 2 when the tool itself could not run.
const fs = require('fs');

function blocks(text) {
  const lines = text.split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})mermaid\s*$/.exec(lines[i]);
    if (!open) continue;
    const body = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j].startsWith(open[1]) && lines[j].trim() === lines[j].trim().replace(/[^`]/g, '') && lines[j].trim().length >= open[1].length)) body.push(lines[j++]);
    found.push({ line: i + 1, text: body.join('\n') });
    i = j;
  }
  return found;
}

(async () => {
  const { renderMermaid } = await import('@mermaid-js/mermaid-cli');
  const puppeteer = (await import('puppeteer')).default;
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  let failed = false;
  try {
    for (const b of blocks(fs.readFileSync(process.argv[2], 'utf8').replace(/\r\n/g, '\n'))) {
      try {
        const { data } = await renderMermaid(browser, b.text, 'svg', { mermaidConfig: { maxTextSize: 1000000 } });
        const svg = Buffer.from(data).toString('utf8');
        const box = /viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"/.exec(svg);
        if (/aria-roledescription="error"/.test(svg) || !box) throw new Error('mermaid drew its error picture');
        console.log(`${b.line}: ${Math.round(+box[3])}x${Math.round(+box[4])}`);
      } catch (e) {
        failed = true;
        console.log(`${b.line}: error ${String(e && e.message || e).split('\n').slice(0, 4).join(' ')}`);
      }
    }
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
})().catch(e => { console.error(String(e && e.stack || e)); process.exit(2); });
