/**
 * This isolate's name, for what it tells others about itself: the board (whose traffic counts these
 * are) and the location's other isolates (who wrote the shared health copy). Made on first use:
 * random values cannot be made at start-up.
 */
let name: string | undefined;

export function isolateName(): string {
  name ??= crypto.randomUUID();
  return name;
}
