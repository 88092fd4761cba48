import { render } from 'preact';
import './styles.css';
import { App } from './ui/app.js';

render(<App />, document.getElementById('app')!);
