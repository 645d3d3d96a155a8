// The gateways a deployment has configured, built once per function instance from
// environment variables (src/gateways/index.ts names them), Payme and Click with their
// SQL-backed stores. A gateway whose variables are missing is "not configured".
import { AppError } from '../errors.ts';
import { MtnMomoGateway } from '../gateways/mtn-momo.ts';
import { FakeGateway } from '../gateways/fake.ts';
import { GATEWAY_IDS, gatewayFromEnv, type Env } from '../gateways/index.ts';
import type { GatewayId, PaymentGateway, TransportOptions } from '../gateways/types.ts';
import { FakePayoutRail, MtnMomoPayoutRail, type PayoutRail, type PayoutRailId } from './payouts.ts';
import { SqlClickStore, SqlPaymeStore } from './stores.ts';
import type { Sql } from './sql.ts';

export class GatewayNotConfiguredError extends AppError {
  constructor(gateway: string) {
    super('gateway_not_configured', 503, 'This payment provider is not available right now.', { gateway });
    this.name = 'GatewayNotConfiguredError';
  }
}

export function isGatewayId(value: string): value is GatewayId {
  return (GATEWAY_IDS as readonly string[]).includes(value);
}

export interface Gateways {
  /** The configured gateway; throws GatewayNotConfiguredError otherwise. */
  get(id: string): PaymentGateway;
  /** The configured payout rail; throws GatewayNotConfiguredError otherwise. */
  rail(id: string): PayoutRail;
}

/** A registry over explicit instances (tests, the bench). */
export function gatewaysOf(gateways: PaymentGateway[], rails: PayoutRail[] = []): Gateways {
  return {
    get(id) {
      const found = gateways.find((g) => g.id === id);
      if (!found) throw new GatewayNotConfiguredError(id);
      return found;
    },
    rail(id) {
      const found = rails.find((r) => r.id === id);
      if (!found) throw new GatewayNotConfiguredError(id);
      return found;
    },
  };
}

/**
 * Gateways from the environment, built on first use. The fake payout rail exists only
 * where the fake gateway is configured (development and tests).
 */
export function gatewaysFromEnv(env: Env, sql: Sql, transport?: TransportOptions): Gateways {
  const built = new Map<string, PaymentGateway>();
  const rails = new Map<string, PayoutRail>();
  const deps = { paymeStore: new SqlPaymeStore(sql), clickStore: new SqlClickStore(sql), ...(transport ? { transport } : {}) };
  const get = (id: string): PaymentGateway => {
    const existing = built.get(id);
    if (existing) return existing;
    if (!isGatewayId(id)) throw new GatewayNotConfiguredError(id);
    let gateway: PaymentGateway;
    try {
      gateway = gatewayFromEnv(id, env, deps);
    } catch {
      throw new GatewayNotConfiguredError(id);
    }
    built.set(id, gateway);
    return gateway;
  };
  return {
    get,
    rail(id) {
      const existing = rails.get(id);
      if (existing) return existing;
      let rail: PayoutRail;
      if (id === ('mtn_momo' satisfies PayoutRailId)) {
        const momo = get('mtn_momo');
        if (!(momo instanceof MtnMomoGateway) || !momo.capabilities.refund) throw new GatewayNotConfiguredError('mtn_momo');
        rail = new MtnMomoPayoutRail(momo);
      } else if (id === ('fake' satisfies PayoutRailId)) {
        if (!(get('fake') instanceof FakeGateway)) throw new GatewayNotConfiguredError('fake');
        rail = new FakePayoutRail();
      } else {
        throw new GatewayNotConfiguredError(id);
      }
      rails.set(id, rail);
      return rail;
    },
  };
}
