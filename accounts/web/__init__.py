"""Request plumbing: middleware (standing, idle timeout, the browser key) and what every
page's template gets."""
