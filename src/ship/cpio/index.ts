export { cpioOdc, cpioOdcChunks, CpioError, type CpioEntry, type CpioEntryType } from './write.js';
export { readCpioOdc, type ReadCpioEntry } from './read.js';
