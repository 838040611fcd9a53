/**
 * The provision poll's reply (docs/api.md#agents-heartbeat-flags-and-the-provision-poll, docs/api.md#providers) from a node's roles and the RoleCatalog: each known
 * role's recipe, which roles have a provider, and each provider's package with its url made
 * absolute — a url beginning with `/` is relative to `server.public_url` (a package dropped into
 * `<home>/releases/` is served at `/downloads/{name}`).
 */
import type { Config, Role } from '../config.js';
import type { ProviderPlan } from '../wire/provider.js';
import type { ProvisionReply } from '../wire/agent.js';

/** `url` as the agent fetches it: `/x` becomes `<public_url>/x` (public_url's own path kept). */
export const absolutePackageUrl = (url: string, publicUrl: string): string => (url.startsWith('/') ? publicUrl.replace(/\/+$/, '') + url : url);

function providerPlanOf(role: Role, publicUrl: string): ProviderPlan | null {
  if (!role.package || !role.provider || !role.install_dir || !role.start || !role.health) return null;
  return {
    provider: role.provider,
    package: { ...role.package, url: absolutePackageUrl(role.package.url, publicUrl) },
    install_dir: role.install_dir,
    start: role.start,
    stop: { processes: role.stop?.processes ?? [] },
    health: role.health,
  };
}

/** The provision poll's reply for a node holding `roles` (roles not in the catalog get no recipe). */
export function provisionPlan(roles: string[], reprovision: boolean, config: Config): ProvisionReply {
  const catalog = config.roles;
  const known = roles.filter((role) => Object.hasOwn(catalog, role));
  const recipes: ProvisionReply['recipes'] = {};
  const providers: Record<string, string> = {};
  const packages: Record<string, ProviderPlan> = {};
  for (const name of known) {
    const role = catalog[name]!;
    recipes[name] = role.recipe;
    // Which roles have a provider: provider_status speaks for those (eligibility, reprovision end).
    if (role.provider) providers[name] = role.provider;
    const plan = providerPlanOf(role, config.server.public_url);
    if (plan) packages[name] = plan;
  }
  const limits = { max_output_bytes: config.server.exec.max_output_bytes };
  return { roles, recipes, providers, packages, reprovision, limits };
}
