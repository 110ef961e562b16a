/** The pure core: config contract, phases, catalog and planner. No Pulumi imports below this folder. */
export * from "./catalog";
export * from "./config";
export * from "./control-plane";
export * from "./credentials";
export * from "./diff";
export * from "./kop";
export * from "./phases";
export * from "./plan";
export * from "./project-config";
export * from "./stack-file";
export * from "./transition";
