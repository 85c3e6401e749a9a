/**
 * `deno task keygen [--owner NAME] [--trust] [--trusted FILE] [--force]`: creates the Ed25519 key
 * pair that `bench` signs bundles with, in the user's config directory (never the repository;
 * private key mode 0600), and prints the public entry for a trusted-keys file. `--trust` adds it
 * to the repository's bundles/trusted-keys.json (or to --trusted FILE).
 *
 * Exit status: 0 done, 2 usage error (or a key already exists).
 */
import { parseCli, runCli } from "./args.ts";
import { UserError } from "../engine/errors.ts";
import { addTrustedKey, DEFAULT_TRUSTED_FILE, generateKey, keyDir } from "../engine/bundle/keys.ts";

export const HELP = `Usage: deno task keygen [options]

Creates an Ed25519 signing key for result bundles in ${"$"}BIBENCH_KEY_DIR, else
${"$"}XDG_CONFIG_HOME/bibench, else ~/.config/bibench (private key readable by you only).

Options:
  --owner NAME      who the key belongs to (default ${"$"}USER)
  --trust           add the public key to the trusted-keys file
  --trusted FILE    trusted-keys file for --trust (default ${DEFAULT_TRUSTED_FILE})
  --force           replace an existing key
  -h, --help        show this help
`;

export function main(argv: string[]): Promise<number> {
  return runCli("keygen", async () => {
    const { values, positionals } = parseCli(argv, {
      owner: { type: "string" },
      trust: { type: "boolean", default: false },
      trusted: { type: "string" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    });
    if (positionals.length) throw new UserError(`unexpected argument "${positionals[0]}"`);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    let user = "unknown";
    try {
      user = Deno.env.get("USER") ?? Deno.env.get("USERNAME") ?? "unknown";
    } catch { /* no env access */ }
    const owner = values.owner ?? user;
    const dir = keyDir();
    const k = await generateKey(owner, { dir, force: values.force });
    console.log(`keygen: created key ${k.fingerprint} for ${owner} in ${dir}`);
    const entry = { owner: k.owner, publicKey: k.publicKey, fingerprint: k.fingerprint };
    if (values.trust) {
      const file = values.trusted ?? DEFAULT_TRUSTED_FILE;
      await addTrustedKey(file, entry);
      console.log(`keygen: added it to ${file}`);
    } else {
      console.log(
        `keygen: to have verify accept bundles signed with it, add this entry to ` +
          `${values.trusted ?? DEFAULT_TRUSTED_FILE} (or run keygen with --trust):`,
      );
      console.log(JSON.stringify(entry));
    }
    return 0;
  }, { failed: "" });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
