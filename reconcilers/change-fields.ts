/** Reading a change's `after`/`before` in apply: a plan is input and may be hand-made, so each field's type is checked. */

export function stringField(record: Record<string, unknown> | null, name: string, change: string): string {
  const value = record?.[name];
  if (typeof value !== 'string') throw new TypeError(`change ${change}: field ${name} is missing or not a string`);
  return value;
}
