/**
 * messaging-platform: load config -> check it -> plan the topology -> build the platform -> export outputs.
 *
 * Config is validated, and the phase transition checked, before any platform resource is registered, so a bad
 * value fails the preview with one error that lists every problem (topology/config.ts). Everything the phase
 * changes is in the plan; components/platform.ts wires the components from it (components/program.ts runs it).
 */
import { MessagingPlatform } from "./components/platform";
import { runPlatformProgram } from "./components/program";

export = runPlatformProgram((platform, topology) => new MessagingPlatform("platform", { platform, topology }).outputs);
