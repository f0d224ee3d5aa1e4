/**
 * Private per-instance state for the function constructors of the Compute classes (function
 * constructors cannot declare #fields): `slot.attach(instance, state)` in the constructor,
 * `slot.get(receiver, method)` in a method — which is also the runtime's receiver check.
 */
import { Messages } from "../messages.js";

class ReturnTarget {
  constructor(target: object) {
    return target;
  }
}

export interface Slot<T> {
  attach(target: object, state: T): void;
  /** The state, or the runtime's TypeError "Method 'm' called on receiver that's not an instance of C". */
  get(receiver: unknown, method: string): T;
  has(value: unknown): boolean;
}

export function createSlot<T>(className: string): Slot<T> {
  class Holder extends ReturnTarget {
    #state!: T;
    static attach(target: object, state: T): void {
      (new Holder(target) as Holder).#state = state;
    }
    static has(value: unknown): boolean {
      return value !== null && typeof value === "object" && #state in value;
    }
    static get(receiver: unknown, method: string): T {
      if (Holder.has(receiver)) return (receiver as Holder).#state;
      throw new TypeError(Messages.wrongReceiver(method, className));
    }
  }
  return Holder;
}
