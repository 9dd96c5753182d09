import type { App } from '../../app.ts';
import type { Auth } from '../auth/auth.service.ts';
import { CommandCases, CommandOverview } from './command.schemas.ts';

/** 监督指挥: the big screen's aggregate read and its map layer. */
export async function commandRoutes(app: App) {
  const command = app.ctx.services.command;
  const tags = ['command'];

  app.get('/api/command/overview', {
    config: { access: 'command.read' },
    schema: {
      tags,
      summary: "The command screen's figures in one read: today's reports, counters, on-time rates, rankings, grid heat, latest events",
      response: { 200: CommandOverview },
    },
    handler: async (req) => command.overview(req.auth as Auth),
  });

  app.get('/api/command/cases', {
    config: { access: 'command.read' },
    schema: {
      tags,
      summary: 'Open cases of your area for the command map, as compact tuples',
      response: { 200: CommandCases },
    },
    handler: async (req) => command.openCases(req.auth as Auth),
  });
}
