"""War games: a fault timeline, real load, controllers acting, and a verdict (see chaos/, loadtests/)."""
