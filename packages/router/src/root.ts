import { publicProcedure, router } from "./trpc.ts";
import { partsRouter } from "./routers/parts.ts";

export const appRouter = router({
  health: publicProcedure.query(() => ({ status: "ok" as const })),
  parts: partsRouter,
});

export type AppRouter = typeof appRouter;
