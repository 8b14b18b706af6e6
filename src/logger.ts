import { pino, type Logger, type LevelWithSilent } from 'pino';

/**
 * JSON logs on stdout. Secrets are redacted by path as a second line of defence: the code never logs request
 * headers or bodies, but an error object from a library might carry them.
 */
export function createLogger(level: LevelWithSilent = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ai-gateway' },
      redact: {
        paths: [
          '*.authorization',
          '*.headers.authorization',
          '*.headers["api-key"]',
          '*.headers["x-api-key"]',
          '*.apiKey',
          '*.api_key',
          '*.secret',
          'err.config',
          'err.request',
        ],
        censor: '[REDACTED]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
