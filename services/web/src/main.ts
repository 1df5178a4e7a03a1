import '@fontsource-variable/inter/wght.css'
import 'leaflet/dist/leaflet.css'
import './styles/layout.css'
import './styles/map.css'
import './styles/panel.css'
import './styles/narrow.css'
import './styles/forms.css'
import './styles/views.css'
import './styles/users.css'
import './styles/uploads.css'
import './styles/notifications.css'
import { startApp } from './app.ts'

startApp(document)
