import { setup } from './global-tmp';

export default setup;
