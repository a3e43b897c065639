// Runs before the page paints: lets the stylesheet show the drawing pad only when scripts run.
document.documentElement.classList.add("js");
