import { DEFAULT_PREFERENCES } from '@convoy/contracts'
import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import { createDisplay, type Display } from './display.ts'

/** The signed-in user's way of showing speeds and times, for every component under the app. */
export const DisplayContext = createContext<Display>(createDisplay(DEFAULT_PREFERENCES))

export const useDisplay = (): Display => useContext(DisplayContext)
