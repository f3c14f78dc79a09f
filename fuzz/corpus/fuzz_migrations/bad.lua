return { postgres = { up = 1 } }
