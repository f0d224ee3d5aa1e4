/**
 * Gives a constructor the property shape the Compute runtime's builtins have, which apps and test
 * suites introspect: own keys `prototype, length, name` in that order, and prototype members that
 * are enumerable and configurable (methods writable), in the runtime's order after `constructor`.
 */
export function fixShape(ctor: Function, shape: { name: string; length: number; members: readonly string[] }): void {
  delete (ctor as { length?: number }).length;
  delete (ctor as { name?: string }).name;
  Object.defineProperty(ctor, "length", { value: shape.length, writable: false, enumerable: false, configurable: true });
  Object.defineProperty(ctor, "name", { value: shape.name, writable: false, enumerable: false, configurable: true });
  const proto = ctor.prototype as Record<string, unknown>;
  const descriptors = shape.members.map((member) => [member, Object.getOwnPropertyDescriptor(proto, member)!] as const);
  for (const [member] of descriptors) delete proto[member];
  for (const [member, descriptor] of descriptors) {
    descriptor.enumerable = true;
    if (typeof descriptor.value === "function") {
      Object.defineProperty(descriptor.value, "name", { value: member, configurable: true });
    }
    Object.defineProperty(proto, member, descriptor);
  }
}
