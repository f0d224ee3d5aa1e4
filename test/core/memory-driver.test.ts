import { MemoryDriver } from "edge-kv";
import { describeDriverContract } from "../contract/driver-contract.js";

describeDriverContract("memory", () => new MemoryDriver());
