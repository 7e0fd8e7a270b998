import { writeFileSync } from 'node:fs';
import { GATEWAY_FRAMES_SCHEMA_FILE, gatewayFramesJson, gatewayFramesSchemaPath } from './gateway-frames-document.js';

/**
 * Writes `schemas/gateway-frames.schema.json` from the frame schemas:
 *
 *   npm run build && node dist/src/schema/wire/write-gateway-frames-schema.js
 */
writeFileSync(gatewayFramesSchemaPath(), gatewayFramesJson());
console.log(`wrote ${GATEWAY_FRAMES_SCHEMA_FILE}`);
