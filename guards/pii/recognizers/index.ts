// The registry of pattern recognizers. To add one: write it in the file for its family (or a new file), add the
// category to PII_CATEGORIES and PLACEHOLDER_NAMES, list it here, and add positive and negative cases to the tests.
import type { Recognizer } from '../recognizer.js';
import { email, ipv4, ipv6, macAddress, phone, urlCredentials } from './contact.js';
import { btcAddress, creditCard, ethAddress, iban, swiftBic, usBankRouting } from './financial.js';
import {
  brCnpj, brCpf, caSin, esDni, esNie, inAadhaar, inPan, itFiscalCode, ukNhs, ukNino, usDriverLicense, usItin,
  usPassport, usSsn,
} from './national-ids.js';
import {
  anthropicKey, awsAccessKey, awsSecretKey, githubToken, googleApiKey, jwt, openaiKey, password, privateKey,
  slackToken, stripeKey,
} from './secrets.js';
import { dateOfBirth } from './personal.js';

export const RECOGNIZERS: readonly Recognizer[] = [
  privateKey, jwt, urlCredentials, anthropicKey, openaiKey, githubToken, slackToken, stripeKey, googleApiKey,
  awsAccessKey, awsSecretKey, password,
  email, creditCard, iban, btcAddress, ethAddress, brCpf, brCnpj,
  usSsn, usItin, ukNino, inPan, esDni, esNie, itFiscalCode, ukNhs, caSin, inAadhaar, usBankRouting,
  ipv6, macAddress, dateOfBirth, ipv4, swiftBic, usPassport, usDriverLicense, phone,
];
