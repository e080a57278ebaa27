//! The dashboard in a real browser: headless Chromium through WebDriver
//! (Python selenium and chromedriver), while a live pipeline writes the
//! store it serves.
