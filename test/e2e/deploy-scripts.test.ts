/**
 * The three scripts of a deployment bind each other by name (wrangler.toml, wrangler.gates.toml,
 * wrangler.tail.toml): a name or environment that drifts apart fails here, not on deploy or, worse,
 * as a router whose gates' ends are reported to nobody. Each script is read as wrangler would deploy
 * it, in each environment.
 */
import { describe, expect, it } from 'vitest';
import { unstable_readConfig } from 'wrangler';
import { SCRIPTS } from '../../scripts/build-worker.mjs';

process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

interface DurableBinding {
  name: string;
  class_name: string;
  script_name?: string;
}

const read = (file: string, env: string | undefined) => unstable_readConfig({ config: file, env });
const bindingOf = (config: ReturnType<typeof read>, name: string) =>
  (config.durable_objects.bindings as DurableBinding[]).find((binding) => binding.name === name);

describe.each([undefined, 'production'])('the %s environment', (env) => {
  const [router, gates, tail] = SCRIPTS.map(({ config }) => read(config, env));

  it('names each script as the others bind it', () => {
    expect(SCRIPTS.map(({ name }) => name)).toEqual([router?.name, gates?.name, tail?.name]);
  });

  it('binds the router to the gates, the gates to the router’s board and their tail consumer, the tail to the gates', () => {
    expect(bindingOf(router as never, 'SOCKETS')).toMatchObject({
      class_name: 'SocketGate',
      script_name: gates?.name,
    });
    expect(bindingOf(gates as never, 'HEALTH')).toMatchObject({
      class_name: 'HealthBoard',
      script_name: router?.name,
    });
    expect(gates?.tail_consumers).toEqual([{ service: tail?.name }]);
    expect(bindingOf(tail as never, 'SOCKETS')).toMatchObject({
      class_name: 'SocketGate',
      script_name: gates?.name,
    });
    // Only the gates' script has a tail consumer: the router's requests cause no tail invocation.
    expect(router?.tail_consumers ?? []).toEqual([]);
    expect(tail?.tail_consumers ?? []).toEqual([]);
  });

  it('runs the gates on the router’s runtime, with the router’s private network, and nowhere public', () => {
    expect(gates?.compatibility_date).toBe(router?.compatibility_date);
    expect(gates?.compatibility_flags).toEqual(router?.compatibility_flags);
    expect(gates?.vpc_networks.map(({ binding }: { binding: string }) => binding)).toEqual(
      router?.vpc_networks.map(({ binding }: { binding: string }) => binding),
    );
    expect([gates?.workers_dev, tail?.workers_dev]).toEqual([false, false]);
    expect(gates?.routes ?? []).toEqual([]);
    expect(tail?.routes ?? []).toEqual([]);
  });
});
