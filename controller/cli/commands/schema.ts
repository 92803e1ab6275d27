import { siteJsonSchema } from '../../spec/json-schema.js';
import { ExitCode } from '../io.js';
import type { Register } from '../main.js';

export const registerSchema: Register = (program, io, setExit) => {
  program
    .command('schema')
    .description('Print the JSON Schema of site files (for editors: yaml-language-server, VS Code).')
    .action(() => {
      io.stdout(`${JSON.stringify(siteJsonSchema(), null, 2)}\n`);
      setExit(ExitCode.Ok);
    });
};
