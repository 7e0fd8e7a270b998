import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, packageVersion } from '../../paths.js';
import { ASYNCAPI_FILE, asyncApiText } from './asyncapi.js';

/**
 * Writes `schemas/asyncapi.json` from the frame schemas (`npm run schemas` runs it):
 *
 *   npm run build && node dist/src/schema/wire/write-asyncapi.js
 */
writeFileSync(join(packageRoot(), ASYNCAPI_FILE), asyncApiText(packageVersion()));
console.log(`wrote ${ASYNCAPI_FILE}`);
