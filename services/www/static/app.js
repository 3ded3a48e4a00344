"use strict";

// Loaded with `defer`, so the page's elements exist when this runs.
const generateButton = document.getElementById("generate");
const generatedString = document.getElementById("generated-string");

async function generateString() {
  generateButton.disabled = true;
  try {
    const response = await fetch("/generator", {
      method: "POST",
      body: new URLSearchParams({ length: "8" }),
    });
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}`);
    }
    generatedString.textContent = await response.text();
  } catch (error) {
    generatedString.textContent = `error: ${error.message}`;
  } finally {
    generateButton.disabled = false;
  }
}

generateButton.addEventListener("click", generateString);
